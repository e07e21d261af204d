export default defineEventHandler(() => stats)
