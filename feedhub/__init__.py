"""feedhub: collect news mirrors and feeds, strip boilerplate, merge near-duplicate
stories across outlets, publish one Atom feed per topic."""

__version__ = "0.1.0"
