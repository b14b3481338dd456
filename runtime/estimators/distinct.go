package estimators

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
)

// distinct tells states seen before from new ones, for the sums over
// distinct states that floor log Z (LogZFloor, LogMass): a state counted
// twice would raise the floor above log Z.
type distinct struct {
	seen map[[sha256.Size]byte]bool
	buf  []byte
}

// add reports whether the state made of parts is new, and records it. −0
// and +0 are the same value.
func (d *distinct) add(parts ...[]float64) bool {
	if d.seen == nil {
		d.seen = map[[sha256.Size]byte]bool{}
	}
	d.buf = d.buf[:0]
	for _, p := range parts {
		for _, v := range p {
			d.buf = binary.LittleEndian.AppendUint64(d.buf, math.Float64bits(v+0))
		}
	}
	key := sha256.Sum256(d.buf)
	if d.seen[key] {
		return false
	}
	d.seen[key] = true
	return true
}
