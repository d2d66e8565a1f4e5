//! Computed facts (placeholder).
use super::Inventory;
pub fn compute(_inv: &mut Inventory) {}
