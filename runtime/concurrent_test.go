package runtime_test

import (
	"errors"
	"testing"

	"github.com/ebmc/ebmc/runtime"
)

// blockingTask blocks the range that starts at 0 until release is closed.
type blockingTask struct{ started, release chan struct{} }

func (b blockingTask) RunRange(lo, hi int) {
	if lo == 0 {
		close(b.started)
		<-b.release
	}
}

type nopTask struct{}

func (nopTask) RunRange(lo, hi int) {}

// A second goroutine that runs parallel work on a workspace while another
// goroutine's job is still running panics with ErrConcurrentUse instead of
// corrupting the job or deadlocking; the first job then finishes and the
// workspace stays usable.
func TestWorkspaceConcurrentUsePanics(t *testing.T) {
	w := runtime.NewWorkspace(2)
	defer w.Close()
	first := blockingTask{started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		w.ForRange(1<<10, 1<<10, first)
		close(done)
	}()
	<-first.started
	func() {
		defer func() {
			if r := recover(); r == nil || !errors.Is(r.(error), runtime.ErrConcurrentUse) {
				t.Errorf("second goroutine's job: recovered %v, want ErrConcurrentUse", r)
			}
		}()
		w.ForRange(1<<10, 1<<10, nopTask{})
	}()
	close(first.release)
	<-done
	w.ForRange(1<<10, 1<<10, nopTask{}) // usable again
}
