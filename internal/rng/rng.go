// Package rng builds random streams keyed by (seed, domain, indices), so
// that a draw's random numbers depend on which draw it is, never on which
// goroutine computes it. That is what makes parallel Monte Carlo results
// identical at any GOMAXPROCS.
package rng

import (
	"encoding/binary"
	"math/rand/v2"
)

// Domains separate the streams used for different purposes under one seed.
const (
	ELBO     uint64 = 1 // draws inside ELBO estimates
	Output   uint64 = 2 // draws written out or summarized
	PSIS     uint64 = 3 // draws for importance-sampling diagnostics
	Batch    uint64 = 4 // minibatch selection
	Init     uint64 = 5 // initial values
	Resample uint64 = 6 // importance resampling
)

// splitmix64 is the finalizer of Steele, Lea & Flood (2014); it spreads
// nearby integers (seed 1, 2, 3…) over the whole key space.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Key returns the ChaCha8 key of stream (seed, domain, a, b).
func Key(seed, domain, a, b uint64) [32]byte {
	var k [32]byte
	binary.LittleEndian.PutUint64(k[0:], splitmix64(seed))
	binary.LittleEndian.PutUint64(k[8:], splitmix64(domain^0x5851f42d4c957f2d))
	binary.LittleEndian.PutUint64(k[16:], splitmix64(a+0x14057b7ef767814f))
	binary.LittleEndian.PutUint64(k[24:], splitmix64(b^0xda942042e4dd58b5))
	return k
}

// Stream is a reusable generator that can be re-keyed without allocating.
type Stream struct {
	src rand.ChaCha8
	*rand.Rand
}

// NewStream returns a Stream keyed by (seed, domain, a, b).
func NewStream(seed, domain, a, b uint64) *Stream {
	s := &Stream{}
	s.Rand = rand.New(&s.src)
	s.Reset(seed, domain, a, b)
	return s
}

// Reset re-keys the stream.
func (s *Stream) Reset(seed, domain, a, b uint64) {
	s.src.Seed(Key(seed, domain, a, b))
}
