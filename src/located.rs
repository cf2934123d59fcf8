//! A message at a place in a file a person wrote (a rule file, the configuration), printed
//! `file:line:col: message` so that editors jump to it. Lines and columns count from 1;
//! line 0 means the file as a whole (or a key it does not write).

use std::path::PathBuf;

/// A problem at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl Located {
    /// A problem at byte offset `at` of `text`, the contents of `file`.
    pub fn at(file: impl Into<PathBuf>, text: &str, at: usize, message: impl Into<String>) -> Located {
        let (line, col) = line_col(text, at);
        Located { file: file.into(), line, col, message: message.into() }
    }

    /// A problem with the file as a whole.
    pub fn whole(file: impl Into<PathBuf>, message: impl Into<String>) -> Located {
        Located { file: file.into(), line: 0, col: 0, message: message.into() }
    }
}

impl std::fmt::Display for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file.display(), self.line, self.col, self.message)
    }
}

/// The line and column (from 1, in characters) of byte offset `at` of `text`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_from_one_in_characters() {
        let text = "a = 1\n名前 = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, text.find("= \"x").unwrap()), (2, 4));
        assert_eq!(line_col(text, 10_000), (3, 1), "past the end: the end");
        assert_eq!(Located::at("r.toml", text, 6, "bad").to_string(), "r.toml:2:1: bad");
    }
}
