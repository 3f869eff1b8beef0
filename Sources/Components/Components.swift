// Components: see ../../ARCHITECTURE notes in README.
