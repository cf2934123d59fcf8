//! Raw mail as stored: compressed with zstd, the codec kept beside the bytes (`raw_codec`:
//! NULL as received, `zstd`), so that every reader gets the mail back byte for byte and rows
//! written before compression (or by an older deskmail) read as they are.

use std::cell::RefCell;

use rusqlite::types::Type;

/// The codec name stored in `raw_codec`.
pub const ZSTD: &str = "zstd";

/// zstd's level, its default. Level 9 made raw mail 0.5 % smaller (1,000 generated mails:
/// 24 bytes a mail) and processing 7 % slower (`run --once` over them, five alternating
/// rounds: 0.56-0.59 s at level 3 against 0.61-0.68 s, user time 0.31-0.36 against
/// 0.37-0.42 s): mail is text that compresses well at any level, or attachments already
/// compressed that no level shrinks.
const LEVEL: i32 = 3;

/// Raw bytes ready to store.
#[derive(Debug, Clone)]
pub struct Packed {
    pub bytes: Vec<u8>,
    /// `Some("zstd")`, or `None` when compressing did not make it smaller.
    pub codec: Option<&'static str>,
    /// The length as received.
    pub length: i64,
}

thread_local! {
    /// One compression and one decompression context a thread, made at first use and kept:
    /// making a context (its tables, zeroed) cost more than compressing the mail, 4 % and
    /// 1.5 % of processing a mail (at level 9) when each mail made its own. `None` when zstd
    /// could not make one: mail is then kept as received, or streamed.
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> =
        RefCell::new(zstd::bulk::Compressor::new(LEVEL).ok());
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        RefCell::new(zstd::bulk::Decompressor::new().ok());
}

/// Compresses `raw` for storing; a mail that does not shrink (tiny, or already compressed
/// data) is kept as it is.
pub fn pack(raw: &[u8]) -> Packed {
    let length = raw.len() as i64;
    let compressed = COMPRESSOR.with_borrow_mut(|compressor| compressor.as_mut().map(|c| c.compress(raw)));
    match compressed {
        Some(Ok(bytes)) if bytes.len() < raw.len() => Packed { bytes, codec: Some(ZSTD), length },
        _ => Packed { bytes: raw.to_vec(), codec: None, length },
    }
}

/// Decompresses a zstd frame. Ours record the size they hold, which the kept context
/// decompresses into at once; any other is streamed.
fn decompress(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let Some(size) = zstd::bulk::Decompressor::upper_bound(bytes) else {
        return zstd::stream::decode_all(bytes);
    };
    DECOMPRESSOR.with_borrow_mut(|decompressor| match decompressor {
        Some(d) => d.decompress(bytes, size),
        None => zstd::stream::decode_all(bytes),
    })
}

/// The mail as received, from the stored bytes and codec. `column` is the index of the
/// bytes in the row, for the error of a row that cannot be read.
pub fn unpack(bytes: Vec<u8>, codec: Option<&str>, column: usize) -> rusqlite::Result<Vec<u8>> {
    match codec {
        None => Ok(bytes),
        Some(ZSTD) => decompress(&bytes)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(column, Type::Blob, Box::new(e))),
        Some(other) => Err(rusqlite::Error::FromSqlConversionFailure(
            column,
            Type::Text,
            format!("unknown raw mail codec {other:?}").into(),
        )),
    }
}

/// Reads raw mail stored in column `bytes` with its codec in column `codec`.
pub(super) fn read(row: &rusqlite::Row<'_>, bytes: usize, codec: usize) -> rusqlite::Result<Vec<u8>> {
    let codec_name: Option<String> = row.get(codec)?;
    unpack(row.get(bytes)?, codec_name.as_deref(), bytes)
}

/// Like [`read`], for a column that may be NULL (a LEFT JOIN that found no message).
pub(super) fn read_opt(
    row: &rusqlite::Row<'_>,
    bytes: usize,
    codec: usize,
) -> rusqlite::Result<Option<Vec<u8>>> {
    let stored: Option<Vec<u8>> = row.get(bytes)?;
    let codec_name: Option<String> = row.get(codec)?;
    stored.map(|b| unpack(b, codec_name.as_deref(), bytes)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mail_comes_back_byte_for_byte() {
        let mail = "From: 王小明 <a@b.test>\r\nSubject: 退款\r\n\r\n".to_string()
            + &"我的订单还没有退款。\r\n".repeat(40);
        let packed = pack(mail.as_bytes());
        assert_eq!(packed.codec, Some(ZSTD));
        assert!(packed.bytes.len() < mail.len() / 3, "{} of {}", packed.bytes.len(), mail.len());
        assert_eq!(packed.length, mail.len() as i64);
        assert_eq!(unpack(packed.bytes, packed.codec, 0).unwrap(), mail.as_bytes());
    }

    #[test]
    fn the_kept_contexts_serve_mail_after_mail_and_a_streamed_frame_still_reads() {
        // Large, small and large again through the same contexts: nothing of one mail
        // stays in the next.
        let mails: Vec<Vec<u8>> = [4_000, 30, 200, 60_000, 500]
            .iter()
            .enumerate()
            .map(|(i, n)| format!("Subject: {i}\r\n\r\n{}", "退款 refund ".repeat(*n / 10)).into_bytes())
            .collect();
        for mail in &mails {
            let packed = pack(mail);
            assert_eq!(&unpack(packed.bytes, packed.codec, 0).unwrap(), mail);
        }
        // A frame that does not record its size (a streaming encoder's) is read too.
        let mut encoder = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
        std::io::Write::write_all(&mut encoder, &mails[3]).unwrap();
        let streamed = encoder.finish().unwrap();
        assert_eq!(
            zstd::bulk::Decompressor::upper_bound(&streamed),
            None,
            "the test needs a frame without its size"
        );
        assert_eq!(unpack(streamed, Some(ZSTD), 0).unwrap(), mails[3]);
    }

    #[test]
    fn what_does_not_shrink_is_kept_as_received() {
        let packed = pack(b"x");
        assert_eq!((packed.codec, packed.bytes.as_slice()), (None, &b"x"[..]));
        assert_eq!(unpack(b"x".to_vec(), None, 0).unwrap(), b"x");
    }

    #[test]
    fn an_unknown_codec_or_broken_bytes_are_errors_not_garbage() {
        assert!(unpack(b"abc".to_vec(), Some("lz4"), 0).is_err());
        assert!(unpack(b"not zstd".to_vec(), Some(ZSTD), 0).is_err());
    }
}
