export default async function globalTeardown() {
  await Promise.all((globalThis.__LOCAL_SERVICES__ ?? []).map((service) => service.stop()));
}
