"""Upload records per team: oldest first, whatever order a load adds them in."""

from __future__ import annotations

from pixverse_emulator.domain.uploads import (
    StoredImage,
    StoredMedia,
    UploadStore,
    stored_file,
    upload_id,
    url_size,
)


def image(img_id: int, team: str = "a") -> StoredImage:
    return StoredImage(img_id, team, 0.0, stored_file(f"t{img_id}", "image", "png", 10), None,
                       None)


def by_url(media_id: int, team: str = "a") -> StoredMedia:
    return StoredMedia(media_id, team, 0.0, "video", None, "https://x/v.mp4", None)


def test_a_teams_uploads_come_oldest_first_even_when_loaded_out_of_order() -> None:
    store = UploadStore()
    for upload in (image(5), image(9), by_url(3), image(7, "b"), by_url(4)):
        store.add(upload)
    assert [upload_id(u) for u in store.of_team("a")] == [3, 4, 5, 9]
    oldest = store.oldest("a")
    assert oldest is not None and upload_id(oldest) == 3
    assert store.bytes["a"] == 2 * 10 + 2 * url_size("https://x/v.mp4")
    store.remove(oldest)
    assert [upload_id(u) for u in store.of_team("a")] == [4, 5, 9]
    assert store.bytes["a"] == 2 * 10 + url_size("https://x/v.mp4")
    assert [upload_id(u) for u in store.of_team("b")] == [7]
