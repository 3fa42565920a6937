//! Cosmos `PageRequest` / `PageResponse` over a key-ordered list.

use cosmrs::proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};

use crate::error::{AbciError, SdkError};

pub const DEFAULT_LIMIT: u64 = 100;
pub const MAX_LIMIT: u64 = 1000;

/// Applies `page` to items sorted by key. The `next_key` of a page is the key of the first item
/// of the next page, as in the SDK.
pub fn paginate<T>(
    items: Vec<(String, T)>,
    page: Option<&PageRequest>,
) -> Result<(Vec<T>, PageResponse), AbciError> {
    let default = PageRequest::default();
    let page = page.unwrap_or(&default);
    if !page.key.is_empty() && page.offset > 0 {
        return Err(
            SdkError::InvalidRequest("either offset or key is expected, got both".into()).into(),
        );
    }
    let limit = match page.limit {
        0 => DEFAULT_LIMIT,
        l => l.min(MAX_LIMIT),
    } as usize;
    let total = items.len() as u64;
    let mut items = items;
    if page.reverse {
        items.reverse();
    }
    let start = if !page.key.is_empty() {
        let key = String::from_utf8(page.key.clone())
            .map_err(|_| SdkError::InvalidRequest("invalid pagination key".into()))?;
        items
            .iter()
            .position(|(k, _)| if page.reverse { *k <= key } else { *k >= key })
            .unwrap_or(items.len())
    } else {
        (page.offset as usize).min(items.len())
    };
    let mut rest = items.into_iter().skip(start);
    let out: Vec<(String, T)> = rest.by_ref().take(limit).collect();
    let next_key = rest.next().map(|(k, _)| k.into_bytes()).unwrap_or_default();
    Ok((
        out.into_iter().map(|(_, v)| v).collect(),
        PageResponse {
            next_key,
            total: if page.count_total || page.key.is_empty() {
                total
            } else {
                0
            },
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_by_key_and_offset() {
        let items: Vec<_> = (0..5).map(|i| (format!("k{i}"), i)).collect();
        let req = PageRequest {
            limit: 2,
            ..Default::default()
        };
        let (page, resp) = paginate(items.clone(), Some(&req)).unwrap();
        assert_eq!(page, vec![0, 1]);
        let req = PageRequest {
            limit: 2,
            key: resp.next_key,
            ..Default::default()
        };
        let (page, _) = paginate(items.clone(), Some(&req)).unwrap();
        assert_eq!(page, vec![2, 3]);
        let req = PageRequest {
            limit: 10,
            offset: 4,
            ..Default::default()
        };
        assert_eq!(paginate(items, Some(&req)).unwrap().0, vec![4]);
    }
}
