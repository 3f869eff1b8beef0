// Config: see ../../ARCHITECTURE notes in README.
