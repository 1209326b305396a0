"""Pure rules of the retention engine: no AWS, no HTTP, no clock of their own."""
