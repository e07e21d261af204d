import { superOffice } from '../../lib/superoffice'

export const dynamic = 'force-dynamic'

export const GET = () => Response.json(superOffice().stats)
