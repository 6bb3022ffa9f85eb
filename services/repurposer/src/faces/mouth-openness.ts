/**
 * Landmarks of the 468-point face mesh (MediaPipe's topology, which human's facemesh model keeps):
 * the inner lips' middle, and the top of the forehead and the chin for the face's height.
 */
const UPPER_INNER_LIP = 13;
const LOWER_INNER_LIP = 14;
const FOREHEAD = 10;
const CHIN = 152;

/**
 * How open the mouth is: the gap between the inner lips over the face's height (≈ 0 closed,
 * ≈ 0.05–0.15 open), so it compares across face sizes. NaN when the mesh is not the full 468 points
 * or the face has no height.
 */
export function mouthOpenness(mesh: readonly (readonly [number, number, number?])[]): number {
  if (mesh.length < 468) return NaN;
  const y = (i: number) => mesh[i]![1];
  const height = y(CHIN) - y(FOREHEAD);
  if (!(height > 0)) return NaN;
  return Math.max(0, y(LOWER_INNER_LIP) - y(UPPER_INNER_LIP)) / height;
}
