#[test]
fn dump() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/reading");
    let mut names: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for p in names {
        let m = deskmail::parse::parse(&std::fs::read(&p).unwrap()).unwrap();
        println!(
            "=== {}\nsubject={:?}\nfrom={:?}\ncharset={} lossy={} lang={:?}\nbody={:?}\nnew={:?}\nquoted={:?}\natt={:?}\n",
            p.file_name().unwrap().to_string_lossy(),
            m.subject,
            m.from_name,
            m.charset,
            m.lossy,
            m.language,
            m.body,
            m.new_text,
            m.quoted_text,
            m.attachments
        );
    }
}
