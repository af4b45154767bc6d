"""Report renderers. They only read: the result document and the audit DB, never the network."""
