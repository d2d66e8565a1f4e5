//! 1-based line numbers of places in one text, from an index of its
//! newlines built once: a reader that keeps slices of the text it parsed
//! (`serde_json::value::RawValue`) learns each one's line in a binary search.

/// The newlines of one text.
pub struct Lines<'a> {
    text: &'a str,
    newlines: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        let newlines = memchr_newlines(text);
        Lines { text, newlines }
    }

    /// The line a slice of the text starts on.
    pub fn of(&self, slice: &str) -> u32 {
        self.at((slice.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize))
    }

    /// The line of a byte offset.
    pub fn at(&self, offset: usize) -> u32 {
        (self.newlines.partition_point(|&nl| nl < offset) + 1) as u32
    }
}

fn memchr_newlines(text: &str) -> Vec<usize> {
    text.match_indices('\n').map(|(i, _)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_slices_and_offsets() {
        let t = "a\nb\nccc\n";
        let l = Lines::new(t);
        assert_eq!(l.of(&t[4..]), 3);
        assert_eq!(l.at(0), 1);
        assert_eq!(l.at(2), 2);
        assert_eq!(Lines::new("").at(0), 1);
    }
}
