"""Models of the WeChat client: the shared access token, media checks."""
