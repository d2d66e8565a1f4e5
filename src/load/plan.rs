//! `terraform show -json` reader (placeholder until the reader lands).
use crate::load::terraform::TfModel;
use crate::load::InputError;

pub fn load(path: &str, _text: &str) -> Result<TfModel, InputError> {
    Err(InputError::new(path, "plan reading is not built yet"))
}
