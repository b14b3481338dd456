// Package fileio writes files atomically (WriteFileAtomic, WriteAtomic): a
// reader sees the old file or the complete new one, never a partial write;
// CheckWritable tests early that a path can be written. Data sets, pictures
// and checkpoints share it.
package fileio
