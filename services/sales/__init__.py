"""Sales: counter receipts from the shops, recorded exactly once; publishes SaleRecorded."""
