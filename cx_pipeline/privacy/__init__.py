"""Personal data: erasing a person on request, everywhere the pipeline keeps them."""
