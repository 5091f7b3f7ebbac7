"""The API's routers, each a small module by concept."""
