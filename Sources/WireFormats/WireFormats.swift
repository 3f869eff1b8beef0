// WireFormats: see ../../ARCHITECTURE notes in README.
