"""Shifted copies of an image set: sknml.datasets.make_shifted_images."""

import numpy as np
import pytest
from scipy import ndimage

from sknml.datasets import load_fashion_mnist, make_shifted_images

SHIFTS = [
    "rotation",
    "inversion",
    "contrast",
    "blur",
    "noise",
    "elastic",
    "translation",
    "zoom",
]
CENTRE = np.array([13.5, 13.5])


@pytest.fixture
def images():
    """Eight 28 x 28 images of random bright rectangles, float32 in [0, 1]."""
    rng = np.random.RandomState(0)
    stack = np.zeros((8, 28, 28), dtype=np.float32)
    for image in stack:
        top, left = rng.randint(6, 12, size=2)
        height, width = rng.randint(6, 11, size=2)
        image[top : top + height, left : left + width] = rng.uniform(0.5, 1.0)
    return stack


def _blob(sigma=3.0, centre=CENTRE):
    rows, cols = np.indices((28, 28))
    squared = (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2
    return np.exp(-squared / (2 * sigma**2))[None]


def test_default_is_every_shift_in_order(images):
    assert list(make_shifted_images(images)) == SHIFTS


def test_subset_in_canonical_order(images):
    shifted = make_shifted_images(images, ["zoom", "blur"])
    assert list(shifted) == ["blur", "zoom"]


@pytest.mark.parametrize(
    "layout, dtype, pixel_max",
    [
        ("images", np.float32, 1.0),
        ("rows", np.float32, 1.0),
        ("images", np.float64, 1.0),
        ("images", np.uint8, 255),
        ("rows", np.uint8, 255),
    ],
)
def test_shape_dtype_and_range_are_kept(images, layout, dtype, pixel_max):
    given = images * pixel_max
    if np.issubdtype(dtype, np.integer):
        given = np.rint(given)
    given = given.astype(dtype)
    if layout == "rows":
        given = given.reshape(len(given), -1)
    shifted = make_shifted_images(given, pixel_max=pixel_max)
    for name, copy in shifted.items():
        assert copy.shape == given.shape, name
        assert copy.dtype == given.dtype, name
        assert 0 <= copy.min() and copy.max() <= pixel_max, name


def test_rows_and_images_give_the_same_pixels(images):
    as_images = make_shifted_images(images)
    as_rows = make_shifted_images(images.reshape(len(images), -1))
    for name in SHIFTS:
        np.testing.assert_array_equal(as_rows[name], as_images[name].reshape(8, -1))


def test_fashion_mnist_test_split_keeps_its_layout():
    fashion = load_fashion_mnist(subset="test")
    shifted = make_shifted_images(fashion.data[:100])
    for name, copy in shifted.items():
        assert copy.shape == (100, 784) and copy.dtype == np.float32, name
        assert 0.0 <= copy.min() and copy.max() <= 1.0, name


def test_same_random_state_same_copies(images):
    first = make_shifted_images(images, random_state=3)
    second = make_shifted_images(images, random_state=np.random.RandomState(3))
    for name in SHIFTS:
        np.testing.assert_array_equal(first[name], second[name])


def test_random_state_moves_only_the_random_shifts(images):
    first = make_shifted_images(images, random_state=0)
    second = make_shifted_images(images, random_state=1)
    for name in SHIFTS:
        same = np.array_equal(first[name], second[name])
        assert same == (name not in {"noise", "elastic"}), name


def test_a_shift_does_not_depend_on_the_others_asked_for(images):
    every = make_shifted_images(images, random_state=5)
    for name in ("noise", "elastic"):
        alone = make_shifted_images(images, [name], random_state=5)
        np.testing.assert_array_equal(alone[name], every[name])


@pytest.mark.parametrize("name", SHIFTS)
def test_every_shift_changes_every_image(images, name):
    copy = make_shifted_images(images, [name])[name]
    change = np.abs(copy - images).reshape(len(images), -1).max(axis=1)
    assert (change > 0.05).all()


def test_inversion_is_max_minus_pixel(images):
    copy = make_shifted_images(images, ["inversion"])["inversion"]
    np.testing.assert_array_equal(copy, 1.0 - images)
    raw = np.rint(images * 255).astype(np.uint8)
    copy = make_shifted_images(raw, ["inversion"], pixel_max=255)["inversion"]
    np.testing.assert_array_equal(copy, 255 - raw)


def test_translation_moves_3_pixels_down_and_right(images):
    copy = make_shifted_images(images, ["translation"])["translation"]
    np.testing.assert_array_equal(copy[:, 3:, 3:], images[:, :-3, :-3])
    assert not copy[:, :3].any() and not copy[:, :, :3].any()
    for before, after in zip(images, copy, strict=True):
        moved = np.subtract(
            ndimage.center_of_mass(after), ndimage.center_of_mass(before)
        )
        np.testing.assert_allclose(moved, [3.0, 3.0], atol=1e-4)


@pytest.mark.parametrize("offset", [(0.0, 0.0), (4.0, -5.0)])
def test_zoom_shrinks_about_the_centre(offset):
    # A blob of width 2.5 at centre + offset becomes one of width 0.8 * 2.5 at
    # centre + 0.8 * offset: the centre stays put.
    blob = _blob(sigma=2.5, centre=CENTRE + offset)
    copy = make_shifted_images(blob, ["zoom"])["zoom"]
    expected = _blob(sigma=0.8 * 2.5, centre=CENTRE + 0.8 * np.array(offset))
    np.testing.assert_allclose(copy, expected, atol=0.03)
    np.testing.assert_allclose(
        ndimage.center_of_mass(copy[0]) - CENTRE, 0.8 * np.array(offset), atol=0.02
    )
    np.testing.assert_allclose(copy.sum() / blob.sum(), 0.8**2, rtol=0.02)


def test_rotation_leaves_a_round_image_nearly_unchanged():
    blob = _blob()
    copy = make_shifted_images(blob, ["rotation"])["rotation"]
    np.testing.assert_allclose(copy, blob, atol=0.02)


def test_rotation_turns_20_degrees_counter_clockwise():
    # A blob right of the centre moves up (row 0 is the top) by 20 degrees.
    blob = _blob(sigma=1.0, centre=CENTRE + [0.0, 8.0])
    copy = make_shifted_images(blob, ["rotation"])["rotation"][0]
    row, col = ndimage.center_of_mass(copy) - CENTRE
    assert np.rad2deg(np.arctan2(-row, col)) == pytest.approx(20.0, abs=0.5)
    assert np.hypot(row, col) == pytest.approx(8.0, abs=0.1)


def test_contrast_scales_deviations_from_the_mean(images):
    copy = make_shifted_images(images, ["contrast"])["contrast"]
    np.testing.assert_allclose(
        copy.mean(axis=(1, 2)), images.mean(axis=(1, 2)), rtol=1e-5
    )
    np.testing.assert_allclose(
        copy.std(axis=(1, 2)), 0.4 * images.std(axis=(1, 2)), rtol=1e-5
    )


def test_blur_keeps_the_mass_and_smooths(images):
    copy = make_shifted_images(images, ["blur"])["blur"]
    np.testing.assert_allclose(
        copy.sum(axis=(1, 2)), images.sum(axis=(1, 2)), rtol=1e-4
    )
    roughness = np.abs(np.diff(copy, axis=2)).max(axis=(1, 2))
    assert (roughness < 0.5 * np.abs(np.diff(images, axis=2)).max(axis=(1, 2))).all()


@pytest.mark.parametrize("pixel_max", [1.0, 255.0])
def test_noise_has_std_03_of_the_pixel_range(pixel_max):
    grey = np.full((50, 28, 28), 0.5 * pixel_max)
    copy = make_shifted_images(grey, ["noise"], pixel_max=pixel_max)["noise"]
    # Clipping N(0, 0.3) to [-0.5, 0.5] brings its standard deviation to 0.275.
    assert (copy - grey).std() / pixel_max == pytest.approx(0.275, abs=0.005)
    assert abs((copy - grey).mean()) < 0.01 * pixel_max


def test_elastic_warp_is_a_small_local_displacement(images):
    copy = make_shifted_images(images, ["elastic"])["elastic"]
    for before, after in zip(images, copy, strict=True):
        assert np.corrcoef(before.ravel(), after.ravel())[0, 1] > 0.7
        moved = np.subtract(
            ndimage.center_of_mass(after), ndimage.center_of_mass(before)
        )
        assert np.hypot(*moved) < 3.0


def test_unknown_shift_names_raise(images):
    with pytest.raises(ValueError, match=r"shifts .*\['shear'\]"):
        make_shifted_images(images, ["blur", "shear"])


def test_a_single_name_must_be_a_list(images):
    with pytest.raises(ValueError, match="shifts"):
        make_shifted_images(images, "blur")


@pytest.mark.parametrize(
    "shape", [(4, 783), (4, 28, 28, 1), (784,)], ids=["not-square", "4-d", "1-d"]
)
def test_wrong_shapes_raise(shape):
    with pytest.raises(ValueError, match="images"):
        make_shifted_images(np.zeros(shape))


def test_pixels_outside_the_range_raise(images):
    with pytest.raises(ValueError, match="pixel_max=1.0"):
        make_shifted_images(images * 255)
    with pytest.raises(ValueError, match="pixel_max"):
        make_shifted_images(images - 0.5)
