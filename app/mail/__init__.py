"""Mail intake: one raw message in, its classification, its interview and its events out."""
