"""kiosk: an offline bilingual voice kiosk for Hanyang University's Aeji Gate."""

__version__ = "0.1.0"
