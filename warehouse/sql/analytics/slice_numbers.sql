-- description: The slices of a whole rebuild, in order.
SELECT DISTINCT slice FROM _analytics_slices ORDER BY slice
