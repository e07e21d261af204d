import { defineHandler } from 'nitro/h3'
import { stats } from '../utils/stats'

export default defineHandler(() => stats)
