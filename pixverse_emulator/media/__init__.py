"""Media: probing uploads (`probe/`) and rendering result videos (`video/`)."""
