"""Near-duplicate detection: fingerprints and story assignment."""
