package runtime_test

import (
	"errors"
	"testing"
	"time"

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

// panicTask panics in the range that starts at 0 and is slow in the others.
type panicTask struct{}

func (panicTask) RunRange(lo, hi int) {
	if lo == 0 {
		panic("part 0 fails")
	}
	time.Sleep(20 * time.Millisecond)
}

// A panic in the caller's part of a job, recovered (as the test harness
// and servers do), leaves the workspace usable: the job still waits for the
// workers' parts, so they do not run into the next job and miscount it (a
// deadlock before), and the workspace is not left marked busy.
func TestWorkspaceRecoversFromPanickingPart(t *testing.T) {
	w := runtime.NewWorkspace(2)
	defer w.Close()
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Fatal("the part's panic did not reach the caller")
			}
		}()
		w.ForRange(1<<10, 1<<10, panicTask{})
	}()
	done := make(chan struct{})
	go func() {
		for range 200 {
			w.ForRange(1<<10, 1<<10, nopTask{})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("jobs after a panicking part do not finish: deadlock")
	}
}
