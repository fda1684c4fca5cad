"""gigscan: find sellers of fake reviews on freelance marketplaces and keep the evidence."""

__version__ = "0.1.0"
