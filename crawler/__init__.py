"""The Scrapy project: settings, the portal spider, its middlewares and pipelines. It fetches; it never judges."""
