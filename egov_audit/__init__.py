"""egov-audit: crawl a government portal, judge UN DESA e-government indicators, report."""
__version__ = "0.1.0"
