/** Loading: placeholders while the server reads the store. */
export default function Loading() {
  return (
    <>
      <div className="skeleton" aria-busy="true" aria-label="Loading" />
      <div className="panel"><div className="skeleton tall" /></div>
    </>
  );
}
