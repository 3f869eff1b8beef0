// Transport: see ../../ARCHITECTURE notes in README.
