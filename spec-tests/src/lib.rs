//! Black-box suites over the built `lifecycle` and `launcher` binaries, one module per phase
//! in `tests/spec/` (named after the Go lifecycle's `acceptance/<phase>_test.go`), run
//! against loopback registries and images from `cnb-testkit`. This library is empty: the
//! crate exists for its test binary.
