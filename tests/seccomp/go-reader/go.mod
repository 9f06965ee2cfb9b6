module faultrun/tests/seccomp/go-reader

go 1.19
