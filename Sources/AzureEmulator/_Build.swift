enum _PlaceholderAzureEmulator {}
