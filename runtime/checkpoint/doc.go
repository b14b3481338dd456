// Package checkpoint saves and restores the parameters and training state of
// any runtime.Model in the safetensors format (CheckpointOf, SaveCheckpoint,
// LoadCheckpoint, Checkpoint.Restore), so that numpy or PyTorch can read
// them and training can resume. Generated code does not use it.
package checkpoint
