//! NSG effective rules (placeholder).
