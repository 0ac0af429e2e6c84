enum _PlaceholderAzureClient {}
