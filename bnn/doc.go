// Package bnn provides Bayesian neural networks fitted by variational
// inference.
package bnn
