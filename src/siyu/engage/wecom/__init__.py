"""WeCom (企业微信) customer contact: API client, mass messages, welcome messages, callbacks."""
