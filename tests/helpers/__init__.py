"""What the tests share: paths into the checkout, hand-made county writers, the synthetic risk
county, the app's small county and the tiny explain model."""
