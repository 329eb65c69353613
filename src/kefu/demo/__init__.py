"""The demo shop: a realistic Taobao shop whose files `kefu demo` imports through the real importers."""
