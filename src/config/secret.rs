//! A password read from a file or the environment. Small on purpose, so that it is easy to
//! check that it never reaches a log line: it prints as `***`, and only `expose` gives the
//! text, to the code that logs in.

/// A secret that prints as `***`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter2".into())), "***");
        let server = format!("{:?}", Some(Secret::new("hunter2".into())));
        assert!(!server.contains("hunter2"), "{server}");
    }
}
