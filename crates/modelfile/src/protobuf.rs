//! Minimal protobuf wire-format reader for ONNX and SavedModel inspection. A schema-driven
//! crate would need the full generated ONNX/TensorFlow types for a handful of fields; the wire
//! format itself is five rules.

/// One decoded field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field<'a> {
    pub(crate) number: u64,
    pub(crate) wire: u8,
    pub(crate) varint: u64,
    pub(crate) bytes: &'a [u8],
}

/// Reads a base-128 varint; `None` on truncation or more than 10 bytes.
pub(crate) fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in 0..10u32 {
        let b = *buf.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f).checked_shl(shift * 7)?;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Iterator over the fields of one message. Stops (returning `Err`) at the first malformed
/// field; the offset is relative to the message start.
pub(crate) struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
    failed: bool,
}

pub(crate) fn fields(buf: &[u8]) -> Fields<'_> {
    Fields {
        buf,
        pos: 0,
        failed: false,
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field<'a>, usize>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.buf.len() {
            return None;
        }
        let start = self.pos;
        let res = (|| {
            let key = varint(self.buf, &mut self.pos)?;
            let number = key >> 3;
            let wire = (key & 7) as u8;
            if number == 0 {
                return None;
            }
            match wire {
                0 => {
                    let v = varint(self.buf, &mut self.pos)?;
                    Some(Field {
                        number,
                        wire,
                        varint: v,
                        bytes: &[],
                    })
                }
                1 | 5 => {
                    let n = if wire == 1 { 8 } else { 4 };
                    let b = self.buf.get(self.pos..self.pos.checked_add(n)?)?;
                    self.pos += n;
                    Some(Field {
                        number,
                        wire,
                        varint: 0,
                        bytes: b,
                    })
                }
                2 => {
                    let len = usize::try_from(varint(self.buf, &mut self.pos)?).ok()?;
                    let b = self.buf.get(self.pos..self.pos.checked_add(len)?)?;
                    self.pos += len;
                    Some(Field {
                        number,
                        wire,
                        varint: 0,
                        bytes: b,
                    })
                }
                _ => None,
            }
        })();
        match res {
            Some(f) => Some(Ok(f)),
            None => {
                self.failed = true;
                Some(Err(start))
            }
        }
    }
}
