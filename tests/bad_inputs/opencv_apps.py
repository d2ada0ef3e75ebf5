"""Bad input for course_lib.opencv_apps (the panorama, camera-motion and point-cloud helpers of lesson 08)."""

import numpy as np

from bad_inputs import Case

NAN = float("nan")
PHOTO = np.zeros((64, 96, 3), np.uint8)
GREY = np.zeros((64, 96), np.uint8)
POSES = np.stack([np.eye(3)] * 3)
FAR = np.array([[1.0, 0.0, 5000.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # sends the panorama off the image
GREYISH = np.full((64, 96, 3), 9, np.uint8)
DISP = np.full((4, 5), 10.0)

CASES = [
    Case("opencv_apps.overlapping_views", lambda m: m.overlapping_views([[1, 2]]), "uint8 image"),
    Case("opencv_apps.overlapping_views", lambda m: m.overlapping_views(PHOTO.astype(np.float32)),
         "dtype uint8"),
    Case("opencv_apps.overlapping_views", lambda m: m.overlapping_views(np.zeros((64, 96, 4), np.uint8)),
         "colour (H, W, 3)"),
    Case("opencv_apps.overlapping_views", lambda m: m.overlapping_views(np.zeros((8, 8), np.uint8)),
         "at least 16 x 16"),
    Case("opencv_apps.overlapping_views", lambda m: m.overlapping_views(PHOTO, n_views=2.0), "an int"),
    Case("opencv_apps.overlapping_views", lambda m: m.overlapping_views(PHOTO, overlap=NAN), "finite number"),
    Case("opencv_apps.overlapping_views", lambda m: m.overlapping_views(PHOTO, angles_deg=5), "list of 3"),
    Case("opencv_apps.overlapping_views", lambda m: m.overlapping_views(PHOTO, scales=(1, 1, True)),
         "scales[2]"),
    Case("opencv_apps.overlapping_views",
         lambda m: m.overlapping_views(PHOTO, angles_deg=(0, 0, 20), height_fraction=1.0), "fit inside"),
    Case("opencv_apps.panorama_error", lambda m: m.panorama_error("pano.png", PHOTO), "uint8 image"),
    Case("opencv_apps.panorama_error", lambda m: m.panorama_error(PHOTO, GREY), "channels"),
    Case("opencv_apps.panorama_error", lambda m: m.panorama_error(PHOTO, PHOTO, np.eye(2)), "3x3"),
    Case("opencv_apps.panorama_error", lambda m: m.panorama_error(PHOTO, PHOTO, np.zeros((3, 3))),
         "invertible"),
    Case("opencv_apps.panorama_error", lambda m: m.panorama_error(PHOTO, PHOTO, np.full((3, 3), NAN)),
         "finite"),
    Case("opencv_apps.panorama_error", lambda m: m.panorama_error(PHOTO, PHOTO, mask=np.ones((3, 3), bool)),
         "shape (64, 96)"),
    Case("opencv_apps.panorama_error", lambda m: m.panorama_error(GREYISH, PHOTO, border=-1), "border"),
    Case("opencv_apps.panorama_error", lambda m: m.panorama_error(GREYISH, PHOTO, FAR), "no pixel in common"),
    Case("opencv_apps.panorama_error", lambda m: m.panorama_error(PHOTO, PHOTO), "all black"),
    Case("opencv_apps.camera_path", lambda m: m.camera_path(GREY, size=[40, 30]), "(width, height) tuple"),
    Case("opencv_apps.camera_path", lambda m: m.camera_path(GREY, size=(40, 8)), "height"),
    Case("opencv_apps.camera_path", lambda m: m.camera_path(GREY, n_frames=1), "n_frames"),
    Case("opencv_apps.camera_path", lambda m: m.camera_path(GREY, size=(40, 30), amplitude=5),
         "(x, y) tuple"),
    Case("opencv_apps.camera_path", lambda m: m.camera_path(GREY, size=(40, 30), amplitude=(-1, 0)),
         "amplitude[0]"),
    Case("opencv_apps.camera_path", lambda m: m.camera_path(GREY, size=(40, 30), max_angle_deg=NAN),
         "max_angle_deg"),
    Case("opencv_apps.camera_path", lambda m: m.camera_path(GREY, size=(40, 30), amplitude=(100, 0)),
         "inside"),
    Case("opencv_apps.centre_path", lambda m: m.centre_path(np.eye(3), (40, 30)), "(N, 3, 3)"),
    Case("opencv_apps.centre_path", lambda m: m.centre_path(np.zeros((3, 2, 3)), (40, 30)), "(N, 3, 3)"),
    Case("opencv_apps.centre_path", lambda m: m.centre_path(POSES, (40.5, 30)), "width"),
    Case("opencv_apps.motion_error", lambda m: m.motion_error(POSES[:2], POSES, (40, 30)), "truth's shape"),
    Case("opencv_apps.motion_error", lambda m: m.motion_error(POSES[:1], POSES[:1], (40, 30)), "at least 2"),
    Case("opencv_apps.motion_error", lambda m: m.motion_error(POSES * NAN, POSES, (40, 30)), "finite"),
    Case("opencv_apps.motion_error", lambda m: m.motion_error(POSES, list(POSES), (40, 30)), "NumPy array"),
    Case("opencv_apps.stereo_q_matrix", lambda m: m.stereo_q_matrix(0, 0.2, 300, 200), "focal_px"),
    Case("opencv_apps.stereo_q_matrix", lambda m: m.stereo_q_matrix(1000, -0.2, 300, 200), "baseline_m"),
    Case("opencv_apps.stereo_q_matrix", lambda m: m.stereo_q_matrix(1000, 0.2, NAN, 200), "cx_px"),
    Case("opencv_apps.stereo_q_matrix", lambda m: m.stereo_q_matrix(1000, 0.2, 300, "200"), "cy_px"),
    Case("opencv_apps.stereo_q_matrix", lambda m: m.stereo_q_matrix(1000, 0.2, 300, 200, doffs_px=True),
         "doffs_px"),
    Case("opencv_apps.depth_error", lambda m: m.depth_error(DISP.tolist(), DISP, 100, 0.1), "NumPy array"),
    Case("opencv_apps.depth_error", lambda m: m.depth_error(DISP.astype(np.int16), DISP, 100, 0.1),
         "dtype float"),
    Case("opencv_apps.depth_error", lambda m: m.depth_error(DISP, DISP[:, :3], 100, 0.1), "truth's shape"),
    Case("opencv_apps.depth_error", lambda m: m.depth_error(DISP, DISP, -100, 0.1), "focal_px"),
    Case("opencv_apps.depth_error", lambda m: m.depth_error(DISP, DISP, 100, 0.1, tolerance=0), "tolerance"),
    Case("opencv_apps.depth_error", lambda m: m.depth_error(DISP, DISP * np.inf, 100, 0.1),
         "at least one finite disparity"),
    Case("opencv_apps.depth_error", lambda m: m.depth_error(DISP[0], DISP[0], 100, 0.1), "2 dimension"),
]

COVERED_ELSEWHERE = {
    "opencv_apps.PanoramaError": "a result record that panorama_error builds; tested in test_opencv_apps.py",
    "opencv_apps.MotionError": "a result record that motion_error builds; tested in test_opencv_apps.py",
    "opencv_apps.DepthError": "a result record that depth_error builds; tested in test_opencv_apps.py",
}
