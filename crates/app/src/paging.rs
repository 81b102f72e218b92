//! Keyset pages read one item past the page: whether it came tells whether another page
//! follows, without counting.

/// `items` read with a limit of `limit + 1`, cut to `limit`, and the cursor (`cursor` of
/// the page's last item) of the page after it when the extra item came; `None` on the
/// last page.
pub(crate) fn split<T>(
    mut items: Vec<T>,
    limit: usize,
    cursor: impl FnOnce(&T) -> String,
) -> (Vec<T>, Option<String>) {
    if items.len() <= limit {
        return (items, None);
    }
    items.truncate(limit);
    let next = items.last().map(cursor);
    (items, next)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn the_extra_item_gives_the_next_cursor_and_is_dropped() {
        let id = |n: &u32| n.to_string();
        assert_eq!(split(vec![1, 2, 3], 2, id), (vec![1, 2], Some("2".to_owned())));
        assert_eq!(split(vec![1, 2], 2, id), (vec![1, 2], None));
        assert_eq!(split(Vec::<u32>::new(), 2, id), (vec![], None));
    }
}
