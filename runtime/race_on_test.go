//go:build race

package runtime

// raceEnabled is true when the tests run with the race detector.
const raceEnabled = true
