// Package imaging draws rows of pixel values as pictures: TileImage lays
// images out on a grid, WriteTiles and WriteGIF save them as PNG or animated
// GIF files (written atomically), and Upscale enlarges them. Generated code
// does not use it.
package imaging
